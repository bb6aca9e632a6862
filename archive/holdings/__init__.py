"""What the archive holds: stored originals, ingest, derivatives, the job queue, fixity and backup."""
