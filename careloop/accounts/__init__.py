"""People and organisations: users, roles, care teams, patient profiles, API tokens."""
