#include "hposync/report/html.hpp"

namespace hposync::report {

std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string html_page(const std::string& title, const std::string& body, const std::string& head) {
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
           "</title>\n<style>body{font-family:sans-serif;max-width:1500px;margin:auto;padding:1em}"
           "figure{margin:2em 0}img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}"
           "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}.warn{color:#b00}"
           "th.sort{cursor:pointer;text-decoration:underline dotted}pre{background:#f6f6f6;padding:.5em;overflow:auto}"
           "</style>\n" + head + "</head><body>\n" + body + "</body></html>\n";
}

}  // namespace hposync::report
