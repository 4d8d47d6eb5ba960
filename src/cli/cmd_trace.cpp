// soma trace CONFIG|CKPT [--checkpoint CKPT] [--input BATCH.h5] --out TRACE.h5
// One forward and backward pass on one batch, written in full for debugging, raster plots and
// parity checks against other frameworks:
//   /loss, /input/x [T,N,...], /input/y [N], /layers/<L>/output [T,N,...],
//   /layers/<L>/membrane (neurons), /params/<L>/<P>/value, /params/<L>/<P>/grad
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "experiment_loading.hpp"
#include "soma/cli/command.hpp"
#include "soma/data/loader.hpp"
#include "soma/io/hdf5.hpp"

namespace soma::cli {
namespace {

class TraceCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("trace", "record one forward/backward pass (outputs, membranes, gradients) to HDF5");
    sub->add_option("target", target_, "a checkpoint (.h5), or a config")->required()->check(CLI::ExistingFile);
    sub->add_option("--checkpoint", checkpoint_, "weights to load when TARGET is a config")->check(CLI::ExistingFile);
    sub->add_option("--input", input_, "HDF5 file with datasets x [T,N,...] and y [N] (default: the first batch of the training data)")
        ->check(CLI::ExistingFile);
    sub->add_option("--out", out_, "trace file to write")->required();
    sub->add_option("--set", overrides_, "override a config key");
    return sub;
  }

  int run(const GlobalOptions&) override {
    LoadedExperiment le = load_experiment(target_, checkpoint_, overrides_);
    Experiment& exp = le.experiment;
    Model& model = *exp.model;

    Tensor x;
    std::vector<int> y;
    if (!input_.empty()) {
      H5File in = H5File::open_read(input_);
      x = in.read_tensor("x");
      for (int64_t v : in.read_array<int64_t>("y")) y.push_back(static_cast<int>(v));
      SOMA_CHECK_AS(ShapeError, x.rank() >= 3 && x.shape().drop_front(2) == model.input_shape(),
                    input_, ": /x has shape ", x.shape().str(), ", the model takes [T, N, ",
                    model.input_shape().str().substr(1));
      SOMA_CHECK_AS(ShapeError, static_cast<int64_t>(y.size()) == x.dim(1), input_, ": /y has ",
                    y.size(), " labels for a batch of ", x.dim(1));
    } else {
      LoaderOptions lo;
      lo.batch_size = exp.data.batch_size;
      lo.shuffle = false;
      lo.seed = exp.seed;
      lo.prefetch = 0;
      Loader loader(exp.data.train, lo);
      loader.start_epoch(0);
      Batch b;
      SOMA_CHECK(loader.next(b), "the training data is empty");
      x = b.x;
      y = b.y;
    }

    Rng rng(exp.seed, 0x44524F50);
    RunContext ctx;
    ctx.phase = Phase::kTrain;
    ctx.rng = &rng;
    ctx.record_state = true;
    model.reset_state();
    model.params().zero_grads();
    Tensor out = model.forward(x, ctx);
    Tensor grad_y = Tensor::empty(out.shape());
    const double loss = exp.loss->forward_backward(out, y, &grad_y);
    model.backward(grad_y, ctx);

    const std::string tmp = out_ + ".tmp";
    {
      H5File f = H5File::create(tmp);
      f.write_scalar("loss", loss);
      f.write_tensor("input/x", x);
      f.write_array("input/y", std::vector<int64_t>(y.begin(), y.end()));
      const auto& nodes = model.nodes();
      for (size_t i = 0; i < nodes.size(); ++i) {
        f.write_tensor("layers/" + nodes[i].name + "/output", model.recorded_outputs()[i]);
        Tensor m = nodes[i].layer->membrane();
        if (m.defined() && m.numel() > 0) f.write_tensor("layers/" + nodes[i].name + "/membrane", m);
      }
      const ParamStore& ps = model.params();
      for (const auto& s : ps.params()) {
        f.write_tensor("params/" + s.name + "/value", ps.value(s));
        f.write_tensor("params/" + s.name + "/grad", ps.grad(s));
      }
      f.set_attr_string("/", "config_yaml", exp.config_yaml);
      f.set_attr_string("/", "checkpoint", le.checkpoint_path);
    }
    std::filesystem::rename(tmp, out_);
    spdlog::info("trace of {} samples x {} steps: loss {:.6f} -> {}", x.dim(1), x.dim(0), loss, out_);
    return 0;
  }

 private:
  std::string target_, checkpoint_, input_, out_;
  std::vector<std::string> overrides_;
};

}  // namespace

std::unique_ptr<Command> make_trace_command() { return std::make_unique<TraceCommand>(); }

}  // namespace soma::cli
