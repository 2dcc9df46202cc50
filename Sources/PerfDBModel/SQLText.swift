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
