/// The geometry of a column chart with one column per day: bars from a count to a count, a
/// fraction on the same height, and the axis with the highest count and a few day labels.
struct SVGChart {
    /// Columns (days).
    let columns: Int
    /// The count at the top of the plot.
    let highest: Int

    private let left = 40
    private let plotHeight = 160
    private let top = 10
    private var columnWidth: Double { Double(width - left - 10) / Double(max(columns, 1)) }
    var width: Int { max(760, min(columns * 6, 2400)) }

    /// The `<svg>` start tag.
    func open(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(top + plotHeight + 30)\" role=\"img\" aria-label=\"\(HTML.escape(label))\">"
    }

    /// A bar in `column` from count `from` up to count `to`.
    func bar(column: Int, from: Int, to: Int, className: String) -> String {
        guard to > from else { return "" }
        let x = Double(left) + Double(column) * columnWidth + columnWidth * 0.1
        let (bottom, upper) = (y(count: from), y(count: to))
        return "<rect class=\"\(className)\" x=\"\(rounded(x))\" y=\"\(rounded(upper))\" width=\"\(rounded(max(columnWidth * 0.8, 0.5)))\" height=\"\(rounded(bottom - upper))\"/>"
    }

    /// The middle of `column`.
    func center(column: Int) -> String { rounded(Double(left) + (Double(column) + 0.5) * columnWidth) }

    /// The height of `fraction` (0 at the bottom, 1 at the top).
    func y(fraction: Double) -> String { rounded(Double(top + plotHeight) - fraction * Double(plotHeight)) }

    /// The axes: 0 and the highest count, and the first, last and some days between.
    func axis(days: [CalendarDay], highest: Int) -> String {
        let bottom = top + plotHeight
        var svg = "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - 10)\" y2=\"\(bottom)\" stroke=\"#999\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"\(bottom)\" text-anchor=\"end\">0</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=\"end\">\(highest)</text>"
        let step = max(1, days.count / 6)
        for index in stride(from: 0, to: days.count, by: step) {
            svg += "<text x=\"\(center(column: index))\" y=\"\(bottom + 16)\" text-anchor=\"middle\">\(days[index])</text>"
        }
        return svg
    }

    private func y(count: Int) -> Double { Double(top + plotHeight) - Double(count) / Double(max(highest, 1)) * Double(plotHeight) }

    private func rounded(_ value: Double) -> String { "\((value * 10).rounded() / 10)" }
}

/// Text for HTML: the five characters with a meaning there escaped, and control characters as
/// the review verbs print them.
enum HTML {
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in ReviewText.printable(text) {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
