"""Who may see what: the access rules, the narrator's consent, grants and rights statements."""
