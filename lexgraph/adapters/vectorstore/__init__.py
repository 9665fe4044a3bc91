"""Vector stores: LanceDB embedded on disk and Weaviate."""
