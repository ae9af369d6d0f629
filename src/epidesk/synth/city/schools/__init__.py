"""The schools, classes, pupils and teachers of the synthetic city."""
