"""The command centre: the state of the response at a glance, for the user's area."""
