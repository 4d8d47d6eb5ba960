// soma layers [TYPE]: the registered layer types; with TYPE, its maths, keys and defaults.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "soma/cli/command.hpp"
#include "soma/layers/layer_registry.hpp"

namespace soma::cli {
namespace {

class LayersCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("layers", "list the layer types, or describe one");
    sub->add_option("type", type_, "a layer type (e.g. lif)");
    return sub;
  }

  int run(const GlobalOptions&) override {
    const LayerRegistry& reg = LayerRegistry::builtin();
    if (type_.empty()) {
      for (const LayerInfo* info : reg.all())
        std::printf("%-22s %s\n", info->type.c_str(), info->summary.c_str());
      std::printf("\nblocks (expand into several layers named <block>.<part>):\n");
      for (const BlockInfo* info : reg.all_blocks())
        std::printf("%-22s %s\n", info->type.c_str(), info->summary.c_str());
      std::printf("\n`soma layers TYPE` lists a type's keys and defaults.\n");
      return 0;
    }
    if (const BlockInfo* block = reg.find_block(type_)) {
      // Expanding the example records every key the expander reads, with its default.
      ConfigNode example = ConfigNode::parse(block->example_yaml, "example");
      block->expand(example, "example", "input", block->example_input);
      std::printf("%s (block): %s\n\nexample: %s\n\nkeys (default):\n", block->type.c_str(),
                  block->summary.c_str(), block->example_yaml.c_str());
      for (const auto& [key, def] : example.keys_read())
        if (key != "type") std::printf("  %-18s %s\n", key.c_str(), def.c_str());
      return 0;
    }
    const LayerInfo* info = reg.find(type_);
    if (!info) {
      std::string known;
      for (const LayerInfo* i : reg.all()) known += (known.empty() ? "" : ", ") + i->type;
      for (const BlockInfo* i : reg.all_blocks()) known += ", " + i->type;
      throw UsageError(str_cat("unknown layer type '", type_, "' (known: ", known, ")"));
    }
    // Build the example once: the factory records every key it reads with its default.
    ConfigNode example = ConfigNode::parse(info->example_yaml, "example");
    std::vector<Shape> in(info->example_inputs, info->example_input);
    auto layer = reg.make(info->type, example, in);
    std::printf("%s: %s\n\nexample: %s\n\nkeys (default):\n", info->type.c_str(),
                info->summary.c_str(), info->example_yaml.c_str());
    std::printf("  %-18s %s\n", "name", "<type><index>");
    std::printf("  %-18s %s\n", "inputs", "[previous layer]  (names of earlier layers or `input`)");
    for (const auto& [key, def] : example.keys_read())
      if (key != "type") std::printf("  %-18s %s\n", key.c_str(), def.c_str());
    return 0;
  }

 private:
  std::string type_;
};

}  // namespace

std::unique_ptr<Command> make_layers_command() { return std::make_unique<LayersCommand>(); }

}  // namespace soma::cli
