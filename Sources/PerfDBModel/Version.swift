/// The version perfdb reports with `--version`.
public let perfdbVersion = "0.1.0"
