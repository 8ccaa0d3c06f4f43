#include "hposync/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hposync/report/html.hpp"

namespace hposync::report {

std::string svg_num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::string svg_scale_colour(double t) {
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 1.0;
    // blue (#2c7bb6) -> yellow (#ffffbf) -> red (#d7191c)
    const double a[3] = {44, 123, 182}, m[3] = {255, 255, 191}, b[3] = {215, 25, 28};
    int c[3];
    for (int k = 0; k < 3; ++k)
        c[k] = int(t < 0.5 ? a[k] + (m[k] - a[k]) * t * 2 : m[k] + (b[k] - m[k]) * (t - 0.5) * 2);
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c[0], c[1], c[2]);
    return buf;
}

std::string svg_line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                           const std::vector<SvgSeries>& series, bool logy, int width, int height) {
    auto ok = [&](double x, double y) { return std::isfinite(x) && std::isfinite(y) && (!logy || y > 0); };
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    size_t named = 0, longest = 0;
    for (const auto& s : series) {
        for (auto [x, y] : s.points)
            if (ok(x, y)) {
                const double v = logy ? std::log10(y) : y;
                x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, v), y1 = std::max(y1, v);
            }
        named += !s.name.empty();
        longest = std::max(longest, s.name.size());
    }
    const int legend = named ? int(std::min<size_t>(longest, 40)) * 7 + 30 : 0;
    const int L = 60, R = 15 + legend, T = 25, B = 40, W = width + legend, H = height;
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(W) + "\" height=\"" +
                      std::to_string(H) + "\" font-family=\"sans-serif\" font-size=\"11\">\n";
    out += "<text x=\"" + std::to_string(W / 2) + "\" y=\"15\" text-anchor=\"middle\" font-size=\"13\">" + html_escape(title) + "</text>\n";
    if (!std::isfinite(x0)) return out + "<text x=\"60\" y=\"80\">no data yet</text></svg>\n";
    if (x1 == x0) x0 -= 1, x1 += 1;
    if (y1 == y0) y0 -= 0.5, y1 += 0.5;
    const double pad = 0.05 * (y1 - y0);
    y0 -= pad, y1 += pad;
    const double pw = W - L - R, ph = H - T - B;
    auto X = [&](double x) { return L + (x - x0) / (x1 - x0) * pw; };
    auto Y = [&](double y) { return T + (1 - ((logy ? std::log10(y) : y) - y0) / (y1 - y0)) * ph; };
    char buf[160];
    std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n", L, T, pw, ph);
    out += buf;
    for (int k = 0; k <= 4; ++k) {
        const double xv = x0 + (x1 - x0) * k / 4, yv = y0 + (y1 - y0) * k / 4;
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", X(xv), H - B + 14,
                      svg_num(xv).c_str());
        out += buf;
        const double yp = T + (1 - double(k) / 4) * ph;
        std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", L - 4, yp + 4,
                      svg_num(logy ? std::pow(10, yv) : yv).c_str());
        out += buf;
        std::snprintf(buf, sizeof buf, "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", L + 1, L + pw - 1, yp, yp);
        out += buf;
    }
    out += "<text x=\"" + std::to_string(L + int(pw / 2)) + "\" y=\"" + std::to_string(H - 5) + "\" text-anchor=\"middle\">" +
           html_escape(xlabel) + "</text>\n";
    out += "<text transform=\"translate(14," + std::to_string(T + int(ph / 2)) + ") rotate(-90)\" text-anchor=\"middle\">" +
           html_escape(ylabel + (logy ? " (log)" : "")) + "</text>\n";
    int row = 0;
    for (const auto& s : series) {
        std::string pts;
        size_t n = 0;
        for (auto [x, y] : s.points)
            if (ok(x, y)) {
                std::snprintf(buf, sizeof buf, "%.1f,%.1f ", X(x), Y(y));
                pts += buf;
                ++n;
            }
        if (n == 1) {  // one point: a dot, not an invisible line
            out += "<circle cx=\"" + pts.substr(0, pts.find(',')) + "\" cy=\"" +
                   pts.substr(pts.find(',') + 1, pts.find(' ') - pts.find(',') - 1) + "\" r=\"3\" fill=\"" + s.colour + "\"/>\n";
        } else if (n > 1) {
            out += "<polyline fill=\"none\" stroke=\"" + s.colour + "\" stroke-width=\"1.5\"" +
                   (s.dashed ? " stroke-dasharray=\"5,3\"" : "") + " points=\"" + pts + "\"/>\n";
        }
        if (!s.name.empty()) {
            const int ly = T + 12 + 14 * row++;
            std::snprintf(buf, sizeof buf, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                          L + pw + 8, L + pw + 22, ly - 4, ly - 4, s.colour.c_str(), s.dashed ? " stroke-dasharray=\"5,3\"" : "");
            out += buf;
            out += "<text x=\"" + std::to_string(int(L + pw + 26)) + "\" y=\"" + std::to_string(ly) + "\">" +
                   html_escape(s.name.substr(0, 40)) + "</text>\n";
        }
    }
    return out + "</svg>\n";
}

}  // namespace hposync::report
