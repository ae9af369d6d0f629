"""How the outbreak spreads: courses of infection and transmission in groups and venues."""
