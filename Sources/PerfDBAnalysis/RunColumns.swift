import PerfDBModel

/// The figures of a check's runs turned by series and statistic: each pair's values in one
/// array, a run's place in it found by the run's id.
///
/// A check of a raw stream looks a thousand pairs up in fifty runs; one dictionary a run means
/// fifty thousand look-ups scattered over megabytes, one column a pair means a thousand, each
/// column's values side by side.
struct RunColumns {
    /// Some runs' places in every column, in the runs' order (those the figures hold).
    struct Places {
        fileprivate var ids: [Int64] = []
        fileprivate var indices: [Int] = []
    }

    /// Each run's place in every column.
    private let position: [Int64: Int]
    private var columns: [SeriesStatistic: [Double?]] = [:]

    /// The columns of every run `values` holds.
    init(_ values: RunValues) {
        let runs = values.keys.sorted()
        position = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1, $0) })
        let empty = [Double?](repeating: nil, count: runs.count)
        for (index, run) in runs.enumerated() {
            for (pair, value) in values[run] ?? [:] {
                columns[pair, default: empty][index] = value
            }
        }
    }

    /// Every pair any run has.
    var pairs: Dictionary<SeriesStatistic, [Double?]>.Keys { columns.keys }

    /// The places of `runs`, to read many columns at.
    func places(_ runs: [RunRecord]) -> Places {
        var places = Places()
        for run in runs {
            guard let id = run.id, let index = position[id] else { continue }
            places.ids.append(id)
            places.indices.append(index)
        }
        return places
    }

    /// The value of `pair` in each run of `places` that has one, in their order.
    func column(_ pair: SeriesStatistic, at places: Places) -> [(run: Int64, value: Double)] {
        guard let column = columns[pair] else { return [] }
        var values: [(run: Int64, value: Double)] = []
        values.reserveCapacity(places.indices.count)
        for (id, index) in zip(places.ids, places.indices) {
            if let value = column[index] { values.append((id, value)) }
        }
        return values
    }

    /// How many runs of `places` have `pair`.
    func count(_ pair: SeriesStatistic, at places: Places) -> Int {
        guard let column = columns[pair] else { return 0 }
        return places.indices.count { column[$0] != nil }
    }

    /// The value of `pair` in run `id`.
    func value(_ pair: SeriesStatistic, run id: Int64) -> Double? {
        guard let index = position[id] else { return nil }
        return columns[pair]?[index]
    }
}
