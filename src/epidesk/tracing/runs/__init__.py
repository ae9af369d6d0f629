"""Classification runs: cases classified on the graph, and what they change."""
