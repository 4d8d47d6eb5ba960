// Temporary stubs for readers not written yet (replaced one by one).
#include "reader_factories.hpp"
#include "soma/core/error.hpp"

namespace soma::readers {
#define SOMA_STUB(fn, what)                                                          \
  std::unique_ptr<EventReader> fn(const std::string& path, const ReadOptions&) {     \
    throw NotImplementedError(str_cat(path, ": the ", what, " reader is not written yet")); \
  }
SOMA_STUB(make_aedat2_reader, "AEDAT 2.0")
SOMA_STUB(make_aedat31_reader, "AEDAT 3.1")
SOMA_STUB(make_aedat4_reader, "AEDAT 4.0")
SOMA_STUB(make_dat_reader, "Prophesee DAT")
SOMA_STUB(make_evt2_reader, "EVT 2.0")
SOMA_STUB(make_evt3_reader, "EVT 3.0")
SOMA_STUB(make_text_reader, "text")
}  // namespace soma::readers
