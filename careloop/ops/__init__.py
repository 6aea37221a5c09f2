"""Operations: health check, request logging, security headers, key rotation."""
