"""Vaccination: products, schedules, sites, campaigns, appointments, doses and coverage."""
