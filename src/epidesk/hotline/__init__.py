"""The citizen hotline: tickets on a clock, escalation, appeals and Open311."""
