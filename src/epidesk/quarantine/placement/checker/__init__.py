"""An independent check of a placement: split households, rooms over capacity,
ineligible facilities, unmet needs, people neither placed nor listed."""
