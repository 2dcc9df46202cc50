/// One schema migration, embedded at build time from `migrations/<engine>/NNNN_verb_noun.sql`.
public struct EmbeddedMigration: Sendable {
    public let identifier: String
    public let sql: String

    public init(identifier: String, sql: String) {
        self.identifier = identifier
        self.sql = sql
    }
}
