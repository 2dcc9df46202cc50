import Testing

@testable import PerfDBReport

/// Plain tables are written a line at a time, the same whether their rows are held or made.
@Suite struct TextTableTests {
    static let columns: [TextTable.Column] = [
        .init("run", alignRight: true), .init("note"), .init("value", alignRight: true),
        .init("tail"),
    ]

    /// Rows with what alignment must handle: wide and narrow cells, non-ASCII text, a line
    /// break and a tab, a short row, a row with a cell too many, an empty last column.
    static let rows: [[String]] = [
        ["1", "plain", "12.5", ""],
        ["1234", "état\tok", "7", "x"],
        ["22", "two\nlines", "100.25"],
        ["3", "", "0", "", "extra"],
    ]

    @Test func plainTextIsAlignedWithARuleAndNoTrailingSpaces() {
        let text = TextTable(columns: Self.columns, rows: Self.rows).plain()
        #expect(
            text == """
                 run  note        value  tail
                ----  ---------  ------  ----
                   1  plain        12.5
                1234  état ok         7  x
                  22  two lines  100.25
                   3                  0

                """)
    }

    @Test func rowsMadeByIndexWriteAsTheSameRowsHeld() {
        let held = TextTable(columns: Self.columns, rows: Self.rows)
        let rows = Self.rows
        let made = TextTable(columns: Self.columns, count: rows.count) { rows[$0] }
        var lines: [String] = []
        made.writePlain { lines.append($0) }
        #expect(lines.joined() == held.plain())
        // The header, the rule and one piece a row.
        #expect(lines.count == rows.count + 2)
        #expect(made.rowCount == rows.count)
        #expect(made.rows == held.rows)
        #expect(made.markdown() == held.markdown())
        #expect(made.csv() == held.csv())
    }
}
