"""Small helpers that barely need Django: typed environment, encryption, clock, logging."""
