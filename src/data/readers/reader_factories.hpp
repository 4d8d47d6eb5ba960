// Constructors of the concrete readers, one per file in src/data/readers/ (internal; callers use
// open_event_reader from soma/data/readers/event_reader.hpp).
#pragma once

#include <memory>
#include <string>

#include "soma/core/error.hpp"
#include "soma/data/readers/event_reader.hpp"

namespace soma::readers {

std::unique_ptr<EventReader> make_atis_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_bs1_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_aedat2_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_aedat31_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_aedat4_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_dat_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_evt2_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_evt3_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_h5_reader(const std::string& path, const ReadOptions& opt);
std::unique_ptr<EventReader> make_text_reader(const std::string& path, const ReadOptions& opt);

}  // namespace soma::readers
