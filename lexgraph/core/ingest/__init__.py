"""Document intake and ingestion: media-type sniffing by content, loaders that give text per
page, legal-aware chunking with page and character offsets, and the indexer that embeds and
stores chunks under a tenant + matter scope."""
