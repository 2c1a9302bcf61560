"""The demo tenants (``make demo``): members, accounts and their profiles, built relative to a
given day (``services.seed_demo``; the profile data in ``profile``)."""
