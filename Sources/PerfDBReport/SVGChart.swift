import Foundation
import PerfDBModel

/// A line chart drawn from numbers as inline SVG.
///
/// Axes with ticks, one or more lines, a band, reference lines, markers on points, and a
/// `<title>` on every point and mark that a browser shows on hover. Colours are CSS classes, so the page's stylesheet decides them (light and
/// dark alike); the numbers go beside the chart as a table.
public struct SVGChart: Sendable {
    /// A line across the x positions; nil leaves a gap.
    public struct Series: Sendable {
        public var name: String
        public var values: [Double?]
        /// Dots on the points of this line, with the chart's point notes as their titles.
        public var dots: Bool

        /// Creates a line.
        public init(_ name: String, values: [Double?], dots: Bool = false) {
            self.name = name
            self.values = values
            self.dots = dots
        }
    }

    /// A horizontal reference line: a target, a threshold.
    public struct Rule: Sendable {
        public var value: Double
        public var label: String

        /// Creates a reference line.
        public init(_ value: Double, label: String) {
            self.value = value
            self.label = label
        }
    }

    /// What a marker on a point says.
    public enum MarkerKind: String, Sendable {
        case regression
        case warning
        case improvement
        case failed
    }

    /// A mark on one point: a verdict or an outcome.
    public struct Marker: Sendable {
        public var index: Int
        public var value: Double
        public var kind: MarkerKind
        public var note: String

        /// Creates a marker.
        public init(index: Int, value: Double, kind: MarkerKind, note: String) {
            self.index = index
            self.value = value
            self.kind = kind
            self.note = note
        }
    }

    /// A vertical line at one x position: a change point.
    public struct Event: Sendable {
        public var index: Int
        public var note: String

        /// Creates an event line.
        public init(index: Int, note: String) {
            self.index = index
            self.note = note
        }
    }

    /// The chart's title, also its accessible name.
    public var title: String
    /// What the chart shows in one sentence or two: its accessible description.
    public var summary: String
    public var xTitle: String
    public var yTitle: String
    /// One label per x position.
    public var xLabels: [String]
    public var series: [Series]
    /// What each x position is, shown on hover over its dot.
    public var pointNotes: [String] = []
    /// A shaded range of y values and what it means.
    public var band: (low: Double, high: Double, label: String)?
    public var rules: [Rule] = []
    public var markers: [Marker] = []
    public var events: [Event] = []
    /// The numbers the chart is drawn from, shown beside it.
    public var table: TextTable

    /// Creates a chart.
    public init(
        title: String, summary: String, xTitle: String, yTitle: String, xLabels: [String],
        series: [Series], table: TextTable
    ) {
        self.title = title
        self.summary = summary
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.xLabels = xLabels
        self.series = series
        self.table = table
    }

    // The drawing area inside the view box.
    static let width = 760.0
    static let height = 300.0
    static let left = 64.0
    static let right = 20.0
    static let top = 34.0
    static let bottom = 52.0

    /// The chart as an `<svg>` element; `id` makes its title and description referable.
    public func svg(id: String) -> String {
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        let (low, high, ticks) = Self.scale(yValues)
        let count = max(xLabels.count, series.map(\.values.count).max() ?? 0)
        func x(_ index: Int) -> Double {
            count <= 1
                ? Self.left + plotWidth / 2
                : Self.left + plotWidth * Double(index) / Double(count - 1)
        }
        func y(_ value: Double) -> Double {
            Self.top + plotHeight * (1 - (value - low) / (high - low))
        }
        var out =
            "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(Self.n(Self.width)) \(Self.n(Self.height))\""
            + " aria-labelledby=\"\(id)-title \(id)-desc\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        out += "<title id=\"\(id)-title\">\(HTML.escape(title))</title>\n"
        out += "<desc id=\"\(id)-desc\">\(HTML.escape(summary))</desc>\n"
        // Grid and y ticks.
        for tick in ticks {
            let at = Self.n(y(tick))
            out +=
                "<line class=\"grid\" x1=\"\(Self.n(Self.left))\" x2=\"\(Self.n(Self.width - Self.right))\" y1=\"\(at)\" y2=\"\(at)\"/>"
                + "<text class=\"tick\" x=\"\(Self.n(Self.left - 6))\" y=\"\(at)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(HTML.escape(Figure.format(tick)))</text>\n"
        }
        if let band, band.low.isFinite, band.high.isFinite {
            let top = y(min(band.high, high))
            let bottom = y(max(band.low, low))
            out +=
                "<rect class=\"band\" x=\"\(Self.n(Self.left))\" y=\"\(Self.n(top))\" width=\"\(Self.n(plotWidth))\" height=\"\(Self.n(max(bottom - top, 1)))\">"
                + "<title>\(HTML.escape(band.label))</title></rect>\n"
        }
        for rule in rules where rule.value.isFinite {
            let at = Self.n(y(rule.value))
            out +=
                "<line class=\"rule\" x1=\"\(Self.n(Self.left))\" x2=\"\(Self.n(Self.width - Self.right))\" y1=\"\(at)\" y2=\"\(at)\"><title>\(HTML.escape(rule.label))</title></line>"
                + "<text class=\"rule-label\" x=\"\(Self.n(Self.width - Self.right - 4))\" y=\"\(Self.n(y(rule.value) - 4))\" text-anchor=\"end\">\(HTML.escape(rule.label))</text>\n"
        }
        // Axes and x ticks: at most a dozen labels, evenly spaced.
        let axisY = Self.n(Self.height - Self.bottom)
        out +=
            "<line class=\"axis\" x1=\"\(Self.n(Self.left))\" x2=\"\(Self.n(Self.width - Self.right))\" y1=\"\(axisY)\" y2=\"\(axisY)\"/>"
            + "<line class=\"axis\" x1=\"\(Self.n(Self.left))\" x2=\"\(Self.n(Self.left))\" y1=\"\(Self.n(Self.top))\" y2=\"\(axisY)\"/>\n"
        let step = max(1, Int((Double(xLabels.count) / 12).rounded(.up)))
        for (index, label) in xLabels.enumerated() where index % step == 0 {
            out +=
                "<text class=\"tick\" x=\"\(Self.n(x(index)))\" y=\"\(Self.n(Self.height - Self.bottom + 16))\" text-anchor=\"middle\">\(HTML.escape(label))</text>"
        }
        out +=
            "\n<text class=\"axis-title\" x=\"\(Self.n(Self.left + plotWidth / 2))\" y=\"\(Self.n(Self.height - 8))\" text-anchor=\"middle\">\(HTML.escape(xTitle))</text>"
            + "<text class=\"axis-title\" transform=\"translate(14 \(Self.n(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(yTitle))</text>\n"
        for event in events {
            out +=
                "<line class=\"event\" x1=\"\(Self.n(x(event.index)))\" x2=\"\(Self.n(x(event.index)))\" y1=\"\(Self.n(Self.top))\" y2=\"\(axisY)\"><title>\(HTML.escape(event.note))</title></line>\n"
        }
        // The legend, in the strip above the plot.
        var legendX = Self.left
        for (number, line) in series.enumerated() {
            out +=
                "<line class=\"line s\(number % 4 + 1)\" x1=\"\(Self.n(legendX))\" x2=\"\(Self.n(legendX + 18))\" y1=\"14\" y2=\"14\"/>"
                + "<text class=\"legend\" x=\"\(Self.n(legendX + 24))\" y=\"14\" dominant-baseline=\"middle\">\(HTML.escape(line.name))</text>\n"
            legendX += 40 + Double(min(line.name.count, 40)) * 6.5
        }
        if band != nil {
            out +=
                "<rect class=\"band\" x=\"\(Self.n(legendX))\" y=\"8\" width=\"18\" height=\"12\"/>"
                + "<text class=\"legend\" x=\"\(Self.n(legendX + 24))\" y=\"14\" dominant-baseline=\"middle\">tolerance band</text>\n"
        }
        for (number, line) in series.enumerated() {
            var path = ""
            var pen = false
            for (index, value) in line.values.enumerated() {
                guard let value, value.isFinite else {
                    pen = false
                    continue
                }
                path += (pen ? "L" : "M") + Self.n(x(index)) + " " + Self.n(y(value))
                pen = true
            }
            out +=
                "<path class=\"line s\(number % 4 + 1)\" d=\"\(path)\"><title>\(HTML.escape(line.name))</title></path>\n"
            guard line.dots else { continue }
            for (index, value) in line.values.enumerated() {
                guard let value, value.isFinite else { continue }
                let note =
                    pointNotes.indices.contains(index)
                    ? pointNotes[index] : xLabels.indices.contains(index) ? xLabels[index] : ""
                out +=
                    "<circle class=\"dot s\(number % 4 + 1)\" cx=\"\(Self.n(x(index)))\" cy=\"\(Self.n(y(value)))\" r=\"3.5\">"
                    + "<title>\(HTML.escape(note))</title></circle>\n"
            }
        }
        for marker in markers where marker.value.isFinite {
            let cx = x(marker.index)
            let cy = y(marker.value)
            out +=
                "<path class=\"marker \(marker.kind.rawValue)\" d=\"M\(Self.n(cx)) \(Self.n(cy - 8))L\(Self.n(cx + 7)) \(Self.n(cy + 5))L\(Self.n(cx - 7)) \(Self.n(cy + 5))Z\">"
                + "<title>\(HTML.escape(marker.note))</title></path>\n"
        }
        return out + "</svg>"
    }

    /// Every y value the chart must show.
    private var yValues: [Double] {
        var values = series.flatMap { $0.values.compactMap { $0 } } + rules.map(\.value)
        values += markers.map(\.value)
        if let band { values += [band.low, band.high] }
        return values.filter(\.isFinite)
    }

    /// The y range, widened to round ticks (1, 2 or 5 times a power of ten, about five).
    static func scale(_ values: [Double]) -> (low: Double, high: Double, ticks: [Double]) {
        guard var low = values.min(), var high = values.max() else { return (0, 1, [0, 1]) }
        if low >= 0 && low < (high - low) * 0.5 { low = 0 }
        if high == low {
            high += max(abs(high) * 0.1, 1)
            low -= low == 0 ? 0 : max(abs(low) * 0.1, 1)
        }
        let raw = (high - low) / 5
        let power = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? raw
        let first = (low / step).rounded(.down)
        let last = (high / step).rounded(.up)
        // Each tick a whole multiple of the step, so no error accumulates.
        let ticks = stride(from: first, through: last, by: 1).map {
            ($0 * step * 1e9).rounded() / 1e9
        }
        return (first * step, last * step, ticks)
    }

    /// A coordinate with one decimal.
    static func n(_ value: Double) -> String {
        let text = String(format: "%.1f", value)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
