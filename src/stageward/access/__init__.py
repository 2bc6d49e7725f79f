"""Identity and access: principals, the role table, and the pure access decision."""
