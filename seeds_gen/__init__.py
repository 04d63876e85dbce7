"""Everything that puts data into the warehouse's ``raw`` schema: the synthetic bank and loaders."""
