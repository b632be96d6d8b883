"""The studio's widgets: each one shows and edits one part of the state, and reports what the artist did."""
