#include "soma/model/model_builder.hpp"

#include <map>

namespace soma {

std::unique_ptr<Model> build_model(const ConfigNode& cfg, uint64_t seed,
                                   std::optional<Shape> data_shape, const LayerRegistry& registry) {
  // Per-step input shape: model.input.shape, else what the data delivers.
  Shape input_shape;
  if (auto input = cfg.find("input")) {
    input_shape = Shape(input->get_int_list("shape"));
    input->ensure_all_used();
    if (data_shape && *data_shape != input_shape)
      input->fail_at("shape", str_cat("model input shape ", input_shape.str(),
                                      " does not match the data's per-step shape ",
                                      data_shape->str()));
  } else if (data_shape) {
    input_shape = *data_shape;
  } else {
    cfg.fail("missing `input: {shape: [...]}` (needed when no data section defines the shape)");
  }

  const ConfigNode layers = cfg.child("layers");
  const auto items = layers.items();
  if (items.empty()) layers.fail("a model needs at least one layer");
  cfg.ensure_all_used();

  auto store = std::make_unique<ParamStore>();
  std::vector<Model::Node> nodes;
  std::map<std::string, int> index_of{{"input", -1}};
  for (size_t i = 0; i < items.size(); ++i) {
    ConfigNode item = items[i];
    if (!item.is_map()) item.fail("a layer is a map with at least `type:`");
    const std::string type = item.get_string("type");
    const std::string name = item.get_string("name", str_cat(type, i));
    item.set_label(str_cat("'", name, "' (", type, ")"));
    if (index_of.count(name)) item.fail_at("name", str_cat("duplicate layer name '", name, "'"));

    Model::Node node;
    node.name = name;
    std::vector<std::string> input_names = item.get_string_list("inputs", {});
    if (input_names.empty()) {
      node.inputs.push_back(nodes.empty() ? -1 : static_cast<int>(nodes.size()) - 1);
    } else {
      for (const auto& in : input_names) {
        auto it = index_of.find(in);
        if (it == index_of.end())
          item.fail_at("inputs", str_cat("unknown input '", in,
                                         "' (inputs must name `input` or an earlier layer)"));
        node.inputs.push_back(it->second);
      }
    }
    std::vector<Shape> in_shapes;
    for (int j : node.inputs) in_shapes.push_back(j < 0 ? input_shape : nodes[j].out_shape);

    try {
      node.layer = registry.make(type, item, in_shapes);
      node.layer->set_name(name);
      if (auto* merge = dynamic_cast<MergeLayer*>(node.layer.get())) {
        const int arity = merge->arity();
        const int n = static_cast<int>(in_shapes.size());
        if ((arity < 0 && n < 2) || (arity >= 0 && n != arity))
          item.fail_at("inputs", str_cat(type, " takes ", arity < 0 ? "two or more" : std::to_string(arity),
                                         " inputs, got ", n));
        node.out_shape = merge->output_shape_multi(in_shapes);
      } else {
        if (in_shapes.size() != 1)
          item.fail_at("inputs", str_cat(type, " takes one input, got ", in_shapes.size()));
        node.out_shape = node.layer->output_shape(in_shapes[0]);
      }
    } catch (const ConfigError&) {
      throw;
    } catch (const Error& e) {
      // Shape and value errors from the factory: prefix the layer's config position.
      throw ConfigError(str_cat(item.where(), ": ", e.what()));
    }
    item.ensure_all_used();

    for (const auto& spec : node.layer->param_specs()) store->declare_param(name, spec);
    for (const auto& spec : node.layer->buffer_specs()) store->declare_buffer(name, spec);
    for (int j : node.inputs)
      if (j >= 0) nodes[j].consumers++;
    index_of[name] = static_cast<int>(nodes.size());
    nodes.push_back(std::move(node));
  }
  nodes.back().consumers++;  // the model output

  store->allocate();
  store->initialize(seed);
  for (auto& node : nodes) {
    node.layer->bind_params(store->param_views(node.name));
    node.layer->bind_buffers(store->buffer_views(node.name));
  }
  return std::make_unique<Model>(input_shape, std::move(nodes), std::move(store));
}

}  // namespace soma
