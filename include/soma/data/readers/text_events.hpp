// Plain text / CSV events: one event per line, "t x y p" (t in µs, integers), separated by
// spaces, tabs, ',' or ';'. '#' starts a comment line; a first non-comment line that is not
// numeric (e.g. "t,x,y,p") is a column header and skipped. p is 1 for ON and 0 or -1 for OFF.
// A comment "# ... width=W height=H" before the first event declares the sensor size (written
// by write_text_events); otherwise ReadOptions or max coordinate + 1. Reading goes through
// open_event_reader (EventFormat::kText); errors name the file, line and byte offset.
#pragma once

#include <string>

#include "soma/data/events.hpp"

namespace soma {

// Writes "# soma events: t_us x y p; width=W height=H" then one "t x y p" line per event.
void write_text_events(const std::string& path, const Events& ev);

}  // namespace soma
