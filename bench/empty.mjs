// The floor of floors: a bare Node start.
