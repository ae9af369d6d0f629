"""The cases domain: case episodes, reclassification, withdrawal, the daily bulletin."""
