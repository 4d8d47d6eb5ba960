#include "soma/train/training_state.hpp"

#include <chrono>
#include <ctime>
#include <set>

#include "soma/core/version.hpp"
#include "soma/io/sha256.hpp"

namespace soma {
namespace {

std::string now_iso8601() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const std::vector<int64_t>& need_ints(const Checkpoint& c, const std::string& key,
                                      size_t n, const std::string& file) {
  auto it = c.ints.find(key);
  SOMA_CHECK_AS(IoError, it != c.ints.end(), file, ": /", key, " is missing (not a training "
                "checkpoint? use --init to start from its weights)");
  SOMA_CHECK_AS(IoError, it->second.size() == n, file, ": /", key, " has ", it->second.size(),
                " values, expected ", n);
  return it->second;
}

}  // namespace

void write_meta(Checkpoint& ckpt, const std::string& config_yaml, const std::string& kind) {
  ckpt.meta["soma_version"] = version();
  ckpt.meta["git_sha"] = git_sha();
  ckpt.meta["created"] = now_iso8601();
  ckpt.meta["config_yaml"] = config_yaml;
  ckpt.meta["config_sha256"] = sha256_hex(config_yaml);
  ckpt.meta["kind"] = kind;
}

void save_model_state(const Model& model, Checkpoint& ckpt) {
  const ParamStore& ps = model.params();
  for (const auto& s : ps.params()) ckpt.tensors["model/params/" + s.name] = ps.value(s).clone();
  for (const auto& s : ps.buffers())
    ckpt.tensors["model/buffers/" + s.name] = ps.buffer(s).clone();
}

void load_model_state(Model& model, const Checkpoint& ckpt, const std::string& file) {
  ParamStore& ps = model.params();
  std::set<std::string> expected;
  auto copy_in = [&](const std::string& key, Tensor dst) {
    expected.insert(key);
    auto it = ckpt.tensors.find(key);
    SOMA_CHECK_AS(IoError, it != ckpt.tensors.end(), file, ": /", key,
                  " is missing (the model has it; was the checkpoint made with another config?)");
    SOMA_CHECK_AS(IoError, it->second.shape() == dst.shape(), file, ": /", key, " has shape ",
                  it->second.shape().str(), ", the model expects ", dst.shape().str());
    dst.copy_from(it->second);
  };
  for (const auto& s : ps.params()) copy_in("model/params/" + s.name, ps.value(s));
  for (const auto& s : ps.buffers()) copy_in("model/buffers/" + s.name, ps.buffer(s));
  for (const auto& [key, t] : ckpt.tensors)
    if (key.rfind("model/", 0) == 0)
      SOMA_CHECK_AS(IoError, expected.count(key), file, ": /", key,
                    " is not a tensor of this model (extra tensor in the checkpoint)");
}

void save_training_state(const Optimizer& opt, const TrainerCursor& cursor, const Rng& model_rng,
                         Checkpoint& ckpt) {
  for (const auto& [name, t] : opt.state()) ckpt.tensors["optimizer/" + name] = t.clone();
  ckpt.ints["trainer/cursor"] = {cursor.epoch, cursor.next_batch, cursor.step, cursor.best_epoch};
  const auto& s = model_rng.state();
  ckpt.u64s["trainer/rng/model"] = {s.begin(), s.end()};
  ckpt.scalars["trainer/best_metric"] = cursor.best_metric;
  ckpt.scalars["trainer/elapsed_s"] = cursor.elapsed_s;
}

void load_training_state(Optimizer& opt, TrainerCursor& cursor, Rng& model_rng,
                         const Checkpoint& ckpt, const std::string& file) {
  std::map<std::string, Tensor> state;
  for (const auto& [key, t] : ckpt.tensors)
    if (key.rfind("optimizer/", 0) == 0) state[key.substr(10)] = t;
  try {
    opt.load_state(state);
  } catch (Error& e) {
    e.add_context(file);
    throw;
  }
  const auto& c = need_ints(ckpt, "trainer/cursor", 4, file);
  cursor.epoch = c[0];
  cursor.next_batch = c[1];
  cursor.step = c[2];
  cursor.best_epoch = c[3];
  auto it = ckpt.u64s.find("trainer/rng/model");
  SOMA_CHECK_AS(IoError, it != ckpt.u64s.end() && it->second.size() == 4, file,
                ": /trainer/rng/model is missing or not 4 words");
  Rng::State s{};
  for (int i = 0; i < 4; ++i) s[i] = it->second[i];
  model_rng.set_state(s);
  auto scalar = [&](const std::string& key) {
    auto sit = ckpt.scalars.find(key);
    SOMA_CHECK_AS(IoError, sit != ckpt.scalars.end(), file, ": /", key, " is missing");
    return sit->second;
  };
  cursor.best_metric = scalar("trainer/best_metric");
  cursor.elapsed_s = scalar("trainer/elapsed_s");
}

}  // namespace soma
