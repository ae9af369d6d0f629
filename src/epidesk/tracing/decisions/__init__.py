"""An investigator's decisions on a resident's classification."""
