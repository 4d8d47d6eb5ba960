#include "soma/train/experiment.hpp"

#include <yaml-cpp/yaml.h>

#include "soma/model/model_builder.hpp"

namespace soma {

Experiment make_experiment(const ConfigNode& root, const std::string& config_name) {
  if (!root.is_map()) root.fail("a config must be a map of sections");
  Experiment e;
  e.config = root;
  e.config_yaml = root.dump();
  e.config_name = config_name;

  const int64_t version = root.get_int("version", 1);
  root.require(version == 1, "version",
               str_cat("config schema version ", version, " is not supported (this soma reads 1)"));
  e.seed = static_cast<uint64_t>(root.get_int("seed", 0));
  root.get_string("description", "");

  e.data = make_data(root.child("data"));
  e.model = build_model(root.child("model"), e.seed, e.data.sample_shape.drop_front(1));
  const Shape out = e.model->output_shape();
  root.child("model").require(out.rank() == 1 && out[0] == e.data.num_classes, "layers",
                              str_cat("the last layer gives per-step shape ", out.str(), " but the "
                                      "data has ", e.data.num_classes, " classes: end with [",
                                      e.data.num_classes, "] (e.g. a linear layer)"));

  const ConfigNode train = root.child("train");
  e.train.epochs = train.get_int("epochs");
  train.require(e.train.epochs >= 1, "epochs", "must be >= 1");
  e.train.grad_clip = train.get_float("grad_clip", 0.f);
  train.require(e.train.grad_clip >= 0.f, "grad_clip", "must be >= 0 (0 turns clipping off)");
  e.train.log_every = train.get_int("log_every", 10);
  train.require(e.train.log_every >= 1, "log_every", "must be >= 1");
  e.train.max_steps = train.get_int("max_steps", -1);
  e.train.sync_bn = train.get_bool("sync_bn", false);
  e.loss = make_loss(train);
  e.optimizer = make_optimizer(train.child("optimizer"));
  e.optimizer->prepare(e.model->params());
  e.base_lr = e.optimizer->base_lr();
  auto schedule = train.find("schedule");
  e.schedule = make_lr_schedule(schedule ? &*schedule : nullptr, e.base_lr, e.train.epochs);
  train.ensure_all_used();

  const bool has_val = e.data.val && e.data.val->size() > 0;
  e.eval.split = has_val ? "val" : "test";
  if (auto ev = root.find("eval")) {
    e.eval.split = ev->get_choice("split", {"test", "val"}, e.eval.split);
    ev->require(e.eval.split != "val" || has_val, "split",
                "no validation split: set data.validation_fraction > 0");
    e.eval.every = ev->get_int("every", 1);
    ev->require(e.eval.every >= 1, "every", "must be >= 1");
    auto energy = ev->find("energy");
    e.eval.energy = make_energy_table(energy ? &*energy : nullptr);
    ev->ensure_all_used();
  }

  e.output.dir = "runs/" + config_name;
  if (auto out_cfg = root.find("output")) {
    e.output.dir = out_cfg->get_string("dir", e.output.dir);
    e.output.checkpoint_every = out_cfg->get_int("checkpoint_every", 1);
    e.output.checkpoint_every_steps = out_cfg->get_int("checkpoint_every_steps", 0);
    e.output.keep = out_cfg->get_int("keep", 3);
    out_cfg->require(e.output.checkpoint_every >= 0, "checkpoint_every", "must be >= 0");
    out_cfg->require(e.output.keep >= 0, "keep", "must be >= 0");
    out_cfg->ensure_all_used();
  }
  root.ensure_all_used();
  return e;
}

}  // namespace soma
