"""Appeals: a classification or zone appeal ended with the decision confirmed, changed or
the appeal withdrawn, and what that changes in tracing, quarantine and zoning."""
