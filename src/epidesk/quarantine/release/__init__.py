"""Release from an order under the preset's rules, and orders held past their end."""
