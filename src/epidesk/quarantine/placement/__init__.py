"""Placement of people under centralized orders into rooms: households together,
dependants with a carer, needs matched, eligible facilities only, travel minimised."""
