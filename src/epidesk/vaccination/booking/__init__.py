"""Appointments by slot pool and dose number, doses given, adverse events,
contraindications and deferrals, and reminders to residents who opted in."""
