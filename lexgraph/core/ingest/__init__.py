"""Document intake and text extraction: media-type sniffing by content, page counts, plain text."""
