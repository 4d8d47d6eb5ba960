// AEDAT 3.1 (DVS128 Gesture) reading goes through open_event_reader (EventFormat::kAedat31);
// this header adds the writer, used by tests and by `soma data convert`.
//
// File layout (little-endian): '#' header lines from "#!AER-DAT3.1" to "#!END-HEADER", then
// packets of a 28-byte header {uint16 eventType, uint16 eventSource, uint32 eventSize,
// eventTSOffset, eventTSOverflow, eventCapacity, eventNumber, eventValid} followed by
// eventCapacity * eventSize bytes. Polarity packets (eventType 1, eventSize 8, eventTSOffset 4)
// hold {uint32 data, uint32 timestamp}: x = (data >> 17) & 0x1FFF, y = (data >> 2) & 0x1FFF,
// p = (data >> 1) & 1, valid = data & 1; t = eventTSOverflow << 31 | timestamp (µs).
// The reader skips other packet types and events whose valid bit is 0.
// Sensor size: "#Source <n>: DVS128" -> 128x128 (DAVIS240 240x180, DAVIS346 346x260), or the
// line "#soma-sensor: WxH" that write_aedat31 adds for other sizes; else max coordinate + 1.
#pragma once

#include <string>

#include "soma/data/events.hpp"

namespace soma {

// Writes `ev` (t >= 0, x, y < 8192, p in {0,1}) as AEDAT 3.1 polarity packets of at most 8192
// events (a new packet starts whenever t >> 31 changes). Sensor size from ev.width/height.
// Throws IoError if the file cannot be written, Error for events that do not fit the format.
void write_aedat31(const std::string& path, const Events& ev);

}  // namespace soma
