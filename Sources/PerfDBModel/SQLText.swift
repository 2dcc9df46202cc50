/// What `perfdb query` reads from a statement's text before any engine sees it.
public enum SQLText {
    /// The statement's first keyword, upper-cased, after leading comments and white space.
    public static func leadingKeyword(_ sql: String) -> String {
        var text = Substring(sql)
        while true {
            text = text.drop { $0.isWhitespace }
            if text.hasPrefix("--") {
                text = text.drop { $0 != "\n" }
            } else if text.hasPrefix("/*"), let end = text.range(of: "*/") {
                text = text[end.upperBound...]
            } else {
                break
            }
        }
        return String(text.prefix { $0.isLetter }).uppercased()
    }

    /// The LIKE pattern of a commit id given in short: a prefix of 7 or more hexadecimal digits
    /// matches every id it begins; anything else matches only itself (no wildcard survives).
    public static func likePrefix(_ commit: String) -> String {
        guard commit.count >= 7, commit.allSatisfy(\.isHexDigit) else {
            return commit.filter { $0 != "%" && $0 != "_" && $0 != "\\" }
        }
        return commit.lowercased() + "%"
    }

    /// The message of a statement the engine refused because it would write.
    public static let writeRefusal =
        "perfdb query is read-only: the statement would write (the database is unchanged)"

    /// The message of a refused statement; the database is unchanged.
    public static func refusal(_ keyword: String) -> String {
        "perfdb query is read-only: refused \(keyword.isEmpty ? "statement" : keyword) "
            + "(only SELECT, WITH and EXPLAIN are run; the database is unchanged)"
    }
}

/// The SQL both engines use to find the chaos run a load run ran under (placeholders are
/// SQLite's `?`; PostgreSQL's writer numbers them).
public enum ChaosLinkSQL {
    /// Every stored chaos experiment run, as `c` (the run) and `e` (the experiment).
    public static let candidates = """
        SELECT c.id FROM run c JOIN chaos_experiment e ON e.run_id = c.id
        WHERE c.kind = 'chaos'
        """
    /// Those `--chaos-run` names: its id, digest, a digest prefix of 8+ characters (with or
    /// without `sha256:`), its experiment's name or id (seven times the reference).
    public static let named = """
         AND (CAST(c.id AS TEXT) = ? OR c.content_digest = ?
              OR (length(?) >= 8 AND (c.content_digest LIKE ? || '%'
                  OR c.content_digest LIKE 'sha256:' || ? || '%'))
              OR e.name = ? OR e.experiment_id = ?)
        """
    /// The run whose span holds the load run's start and end first, then the newest that
    /// started before the load run ended (the load run's start, end, end).
    public static let order = """
         ORDER BY (c.started_at <= ? AND coalesce(c.ended_at, c.started_at) >= ?) DESC,
            (c.started_at <= ?) DESC, c.started_at DESC, c.id DESC
        LIMIT 1
        """

    /// `--chaos-run` names no stored chaos run.
    public static func notFound(_ reference: String, input: String) -> PerfDBError {
        PerfDBError(
            .inputNotFound,
            "\(input): --chaos-run \(reference): no stored chaos run has that id, digest or "
                + "experiment name")
    }
}
