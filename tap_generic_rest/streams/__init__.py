"""The generated singer-sdk streams and what they are built from."""
