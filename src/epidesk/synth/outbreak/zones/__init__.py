"""The outbreak run closed-loop under each preset: its isolation, quarantine and zones."""
