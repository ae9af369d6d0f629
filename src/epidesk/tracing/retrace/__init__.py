"""Late evidence: traced cases to classify again because a visit log or a recorded
exposure about their window arrived after they were traced."""
