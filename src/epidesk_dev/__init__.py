"""Development tooling outside the served application: throwaway PostgreSQL clusters."""
