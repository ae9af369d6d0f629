"""What zones cost residents on any day, replayed from the zones' history."""
