// Sweeps: grid expansion (names, cartesian product, explicit sets), resolved run configs,
// the job-array script (its text, and running it with bash as Slurm would), the report table,
// and `soma sweep` / `soma report` end to end.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "soma/core/config_node.hpp"
#include "soma/io/checkpoint.hpp"
#include "soma/sweep/run_report.hpp"
#include "soma/sweep/slurm_script.hpp"
#include "soma/sweep/sweep_plan.hpp"
#include "support/run_soma.hpp"

using namespace soma;
using namespace soma::testing;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = "tests/configs/good/digits_base.yaml";
const std::string kGrid = "tests/sweep/grids/digits_lr_tau.yaml";

std::vector<SweepPoint> expand(const std::string& yaml) {
  return expand_grid(ConfigNode::parse(yaml, "grid"));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("a grid map expands to its cartesian product, first key slowest", "[sweep]") {
  const auto pts = expand("train.optimizer.lr: [1.0e-3, 3.0e-3, 0.01]\n"
                          "model.layers[2].tau: [2.0, 4.0]\n"
                          "seed: 7\n");
  REQUIRE(pts.size() == 6);
  CHECK(pts[0].name == "000_lr=1.0e-3_tau=2.0_seed=7");
  CHECK(pts[1].name == "001_lr=1.0e-3_tau=4.0_seed=7");
  CHECK(pts[2].name == "002_lr=3.0e-3_tau=2.0_seed=7");
  CHECK(pts[5].name == "005_lr=0.01_tau=4.0_seed=7");
  const std::vector<std::string> args = pts[3].override_args();
  REQUIRE(args.size() == 3);
  CHECK(args[0] == "train.optimizer.lr=3.0e-3");
  CHECK(args[1] == "model.layers[2].tau=4.0");
  CHECK(args[2] == "seed=7");
}

TEST_CASE("explicit override sets, and sets crossed with a grid", "[sweep]") {
  const auto sets = expand("- model.layers[2].tau: 2.0\n"
                           "- model.layers[2].tau: 4.0\n"
                           "  train.epochs: 3\n");
  REQUIRE(sets.size() == 2);
  CHECK(sets[0].name == "000_tau=2.0");
  CHECK(sets[1].name == "001_tau=4.0_epochs=3");
  CHECK(sets[1].override_args() == std::vector<std::string>{"model.layers[2].tau=4.0", "train.epochs=3"});

  const auto both = expand("grid: {train.optimizer.lr: [0.1, 0.2]}\n"
                           "sets:\n"
                           "  - {data.batch_size: 16}\n"
                           "  - {data.batch_size: 32}\n");
  REQUIRE(both.size() == 4);
  CHECK(both[0].name == "000_batch_size=16_lr=0.1");
  CHECK(both[1].name == "001_batch_size=16_lr=0.2");
  CHECK(both[3].name == "003_batch_size=32_lr=0.2");
}

TEST_CASE("point names: list values, odd characters, width and length", "[sweep]") {
  const auto pts = expand("model.layers[0].kernel: [[3, 3], [5, 5]]\ndescription: ['a b/c', x]\n");
  REQUIRE(pts.size() == 4);
  CHECK(pts[0].name == "000_kernel=3-3_description=a-b-c");
  CHECK(pts[0].override_args()[0] == "model.layers[0].kernel=[3, 3]");
  std::string many = "seed: [";
  for (int i = 0; i < 1000; ++i) many += (i ? ", " : "") + std::to_string(i);
  const auto big = expand(many + "]\n");
  REQUIRE(big.size() == 1000);
  CHECK(big[7].name == "007_seed=7");
  CHECK(big[999].name == "999_seed=999");
  std::string wide = "seed: [";
  for (int i = 0; i < 1001; ++i) wide += (i ? ", " : "") + std::to_string(i);
  CHECK(expand(wide + "]\n")[5].name == "0005_seed=5");
  const auto long_name = expand("description: ['" + std::string(300, 'x') + "']\n");
  CHECK(long_name[0].name.size() == 100);
}

TEST_CASE("bad grid files are rejected with their position", "[sweep]") {
  CHECK_THROWS_AS(expand("seed: []\n"), ConfigError);
  CHECK_THROWS_WITH(expand("seed: []\n"), Catch::Contains("lists no values"));
  CHECK_THROWS_AS(expand("- 3\n"), ConfigError);
  CHECK_THROWS_AS(expand("42\n"), ConfigError);
}

TEST_CASE("resolved configs carry the overrides and their own output dir", "[sweep]") {
  const std::string dir = scratch_dir("sweep_resolve");
  SweepSpec spec;
  spec.config = std::string(SOMA_SOURCE_DIR) + "/" + kConfig;
  spec.grid = std::string(SOMA_SOURCE_DIR) + "/" + kGrid;
  spec.base_overrides = {"train.epochs=1"};
  spec.out_dir = dir;
  const auto points = load_grid(spec.grid);
  REQUIRE(points.size() == 4);
  const auto prepared = resolve_sweep(spec, points);
  REQUIRE(prepared.size() == 4);
  const YAML::Node c = YAML::Load(prepared[3].config_yaml);
  CHECK(c["train"]["optimizer"]["lr"].as<double>() == Approx(0.01));
  CHECK(c["model"]["layers"][2]["tau"].as<double>() == Approx(4.0));
  CHECK(c["train"]["epochs"].as<int>() == 1);
  CHECK(c["output"]["dir"].as<std::string>() == dir + "/003_lr=0.01_tau=4.0");
  CHECK(c["seed"].as<int>() == 3);  // untouched keys stay
  CHECK_FALSE(fs::exists(dir + "/000_lr=0.003_tau=2.0"));  // resolving writes nothing

  write_sweep(spec, prepared);
  for (const auto& p : prepared) {
    CHECK(read_file(p.config_path) == p.config_yaml + "\n");
    const YAML::Node ov = YAML::LoadFile(p.dir + "/overrides.yaml");
    CHECK(ov["point"].as<std::string>() == p.point.name);
    CHECK(ov["overrides"].size() == 2);
    CHECK(ov["set"][0].as<std::string>() == "train.epochs=1");
  }
  CHECK(read_file(dir + "/points.txt") ==
        "000_lr=0.003_tau=2.0\n001_lr=0.003_tau=4.0\n002_lr=0.01_tau=2.0\n003_lr=0.01_tau=4.0\n");
  const YAML::Node manifest = YAML::LoadFile(dir + "/sweep.yaml");
  CHECK(manifest["points"].size() == 4);
  CHECK(manifest["points"][1]["overrides"]["model.layers[2].tau"].as<double>() == 4.0);
}

TEST_CASE("the job-array script", "[sweep][slurm]") {
  SlurmOptions o;
  o.partition = "cpu";
  o.time = "01:30:00";
  o.cpus_per_task = 4;
  o.mem = "8G";
  o.max_parallel = 2;
  o.extra = {"--qos=long"};
  o.soma = "/opt/soma bin/soma";
  o.workdir = "/home/u/proj";
  const std::string s = array_job_script(o, "/scratch/sw", {"000_lr=0.1", "001_lr=0.2", "002_it's"});
  CHECK(s.rfind("#!/bin/bash\n", 0) == 0);
  for (const char* line : {"#SBATCH --array=0-2%2\n", "#SBATCH --signal=B:TERM@120\n",
                           "#SBATCH --requeue\n", "#SBATCH --partition=cpu\n",
                           "#SBATCH --time=01:30:00\n", "#SBATCH --cpus-per-task=4\n",
                           "#SBATCH --mem=8G\n", "#SBATCH --qos=long\n",
                           "#SBATCH --output=/scratch/sw/slurm-%A_%a.out\n",
                           "#SBATCH --open-mode=append\n", "cd '/home/u/proj' || exit 1\n",
                           "SOMA='/opt/soma bin/soma'\n", "  '000_lr=0.1'\n", "  '002_it'\\''s'\n",
                           "\"$SOMA\" --threads \"$THREADS\" train \"$RUN/config.yaml\" --out \"$RUN\" --resume auto &\n",
                           "scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"}) {
    INFO(line);
    CHECK(s.find(line) != std::string::npos);
  }
  // Unset options leave no line; the account is absent here.
  CHECK(s.find("--account") == std::string::npos);
  SlurmOptions bare;
  const std::string b = array_job_script(bare, "/x", {"p"});
  CHECK(b.find("#SBATCH --array=0-0\n") != std::string::npos);
  CHECK(b.find("--partition") == std::string::npos);
  CHECK(b.find("cd ") == std::string::npos);
  // Syntax check by bash itself.
  const std::string dir = scratch_dir("sweep_script_syntax");
  write_file(dir + "/s.sh", s);
  CHECK(run_shell("bash -n '" + dir + "/s.sh'").exit_code == 0);
}

TEST_CASE("report: differing keys, accuracies, epochs, status, CSV", "[sweep]") {
  const std::string dir = scratch_dir("sweep_report");
  const std::string base = "train: {epochs: 3, optimizer: {type: adam, lr: LR}}\nseed: 1\n"
                           "output: {dir: DIR}\n";
  auto config = [&](const std::string& lr, const std::string& d) {
    std::string s = base;
    s.replace(s.find("LR"), 2, lr);
    s.replace(s.find("DIR"), 3, d);
    return s;
  };
  write_file(dir + "/a/config.yaml", config("0.1", dir + "/a"));
  write_file(dir + "/a/metrics.jsonl",
             "{\"kind\":\"step\",\"step\":5,\"loss\":1.5}\n"
             "{\"kind\":\"epoch\",\"epoch\":1,\"test_accuracy\":0.5,\"train_accuracy\":0.9,\"elapsed_s\":10.0}\n"
             "{\"kind\":\"epoch\",\"epoch\":2,\"test_accuracy\":0.75,\"elapsed_s\":20.5}\n"
             "{\"kind\":\"epoch\",\"epoch\":3,\"test_accuracy\":0.625,\"elapsed_s\":31.25}\n");
  write_file(dir + "/b/config.yaml", config("0.2", dir + "/b") + "extra: {k: 1}\n");
  write_file(dir + "/b/metrics.jsonl",
             "{\"kind\":\"epoch\",\"epoch\":1,\"val_accuracy\":0.25,\"elapsed_s\":4.0}\n{\"kind\":\"ep");
  write_file(dir + "/c/config.yaml", config("0.1", dir + "/c"));
  fs::create_directories(dir + "/not_a_run");

  const auto runs = summarize_runs(dir);
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].status == "done");
  CHECK(runs[0].epochs_done == 3);
  CHECK(runs[0].best_accuracy == 0.75);
  CHECK(runs[0].last_accuracy == 0.625);
  CHECK(runs[0].wall_s == 31.25);
  CHECK(runs[0].accuracy_key == "test_accuracy");
  CHECK(runs[1].status == "partial");
  CHECK(runs[1].accuracy_key == "val_accuracy");
  CHECK(runs[1].best_accuracy == 0.25);
  CHECK(runs[2].status == "not started");
  CHECK(std::isnan(runs[2].best_accuracy));
  CHECK(differing_keys(runs) == std::vector<std::string>{"extra.k", "train.optimizer.lr"});

  const ReportTable t = make_report(runs);
  CHECK(t.header == std::vector<std::string>{"run", "extra.k", "train.optimizer.lr", "status",
                                             "epochs", "best_acc", "last_acc", "wall_s"});
  CHECK(t.rows[0] == std::vector<std::string>{"a", "-", "0.1", "done", "3/3", "75.00", "62.50", "31.2"});
  CHECK(t.rows[1] == std::vector<std::string>{"b", "1", "0.2", "partial", "1/3", "25.00", "25.00", "4.0"});
  CHECK(t.rows[2] == std::vector<std::string>{"c", "-", "0.1", "not started", "0/3", "-", "-", "-"});
  const std::string text = format_table(t);
  CHECK(text.find("run  extra.k  train.optimizer.lr  status") == 0);
  const std::string csv = to_csv(t);
  CHECK(csv.find("run,extra.k,train.optimizer.lr,status,epochs_done,best_acc,last_acc,wall_s\n") == 0);
  CHECK(csv.find("\na,,0.1,done,3,0.75,0.625,31.25\n") != std::string::npos);
  CHECK(csv.find("\nc,,0.1,not started,0,,,\n") != std::string::npos);
  CHECK_THROWS_AS(summarize_runs(dir + "/not_a_run"), IoError);
}

TEST_CASE("soma sweep runs every point locally, then soma report tabulates them", "[sweep][e2e]") {
  const std::string dir = scratch_dir("sweep_local");
  const std::string grid = dir + "/grid.yaml";
  write_file(grid, "train.optimizer.lr: [0.003, 0.01]\n");
  const CommandResult r = run_soma("--threads 1 sweep " + kConfig + " --grid " + grid +
                                   " --set train.epochs=1 --out " + dir + "/sw");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* p : {"/sw/000_lr=0.003", "/sw/001_lr=0.01"}) {
    CHECK(fs::exists(dir + p + "/last.h5"));
    CHECK(fs::exists(dir + p + "/overrides.yaml"));
    const Checkpoint c = load_checkpoint(dir + p + "/last.h5");
    CHECK(c.ints.at("trainer/cursor")[0] == 1);  // one epoch done
  }
  CHECK(r.output.find("000_lr=0.003") != std::string::npos);
  // A second invocation resumes: finished points are not trained again.
  const CommandResult again = run_soma("--threads 1 sweep " + kConfig + " --grid " + grid +
                                       " --set train.epochs=1 --out " + dir + "/sw");
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("resumed from") != std::string::npos);
  CHECK(again.output.find("epoch 1/1:") == std::string::npos);

  const CommandResult rep = run_soma("report " + dir + "/sw --csv " + dir + "/r.csv");
  INFO(rep.output);
  REQUIRE(rep.exit_code == 0);
  CHECK(rep.output.find("train.optimizer.lr") != std::string::npos);
  CHECK(rep.output.find("done") != std::string::npos);
  const std::string csv = read_file(dir + "/r.csv");
  CHECK(csv.find("run,train.optimizer.lr,status,epochs_done,best_acc,last_acc,wall_s\n") == 0);
  CHECK(csv.find("\n000_lr=0.003,0.003,done,1,") != std::string::npos);
  CHECK(csv.find("\n001_lr=0.01,0.01,done,1,") != std::string::npos);
}

TEST_CASE("soma sweep --dry-run writes nothing, and a misspelt key fails before any run", "[sweep][e2e]") {
  const std::string dir = scratch_dir("sweep_dry");
  const CommandResult r = run_soma("sweep " + kConfig + " --grid " + kGrid + " --out " + dir +
                                   "/sw --dry-run --slurm --time 00:10:00");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("#SBATCH --array=0-3") != std::string::npos);
  CHECK(r.output.find("#SBATCH --time=00:10:00") != std::string::npos);
  CHECK(r.output.find("003_lr=0.01_tau=4.0") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/sw"));

  const std::string grid = dir + "/bad.yaml";
  write_file(grid, "train.optimiser.lr: [0.1]\n");
  const CommandResult bad = run_soma("sweep " + kConfig + " --grid " + grid + " --out " + dir + "/bad");
  INFO(bad.output);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("optimiser") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/bad"));
}

TEST_CASE("the generated sbatch script runs a point under bash, and requeues on TERM", "[sweep][slurm]") {
  const std::string dir = scratch_dir("sweep_sbatch_bash");
  const CommandResult r = run_soma("sweep " + kConfig + " --grid " + kGrid + " --set train.epochs=1 --out " +
                                   dir + "/sw --slurm --no-submit --cpus 1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const std::string script = dir + "/sw/sweep.sbatch";
  REQUIRE(fs::exists(script));
  // A stand-in scontrol records the requeue request.
  write_file(dir + "/bin/scontrol", "#!/bin/sh\necho \"$@\" >> '" + dir + "/scontrol.log'\n");
  fs::permissions(dir + "/bin/scontrol", fs::perms::owner_all);
  const std::string env = "PATH='" + dir + "/bin':$PATH SLURM_ARRAY_JOB_ID=77 SLURM_CPUS_PER_TASK=1 ";
  // Task 2 runs point 002 to completion.
  const CommandResult t2 = run_shell(env + "SLURM_ARRAY_TASK_ID=2 bash '" + script + "'");
  INFO(t2.output);
  CHECK(t2.exit_code == 0);
  CHECK(t2.output.find("soma sweep task 2: 002_lr=0.01_tau=2.0") != std::string::npos);
  CHECK(fs::exists(dir + "/sw/002_lr=0.01_tau=2.0/last.h5"));
  CHECK_FALSE(fs::exists(dir + "/sw/000_lr=0.003_tau=2.0/last.h5"));
  CHECK_FALSE(fs::exists(dir + "/scontrol.log"));

  // Task 0 with many epochs gets TERM (as from --signal=B:TERM@...) once it trains: soma
  // checkpoints, exits 0, and the script asks Slurm to requeue the task.
  const CommandResult t0 = run_shell(
      "sed -i 's/^  epochs: 1$/  epochs: 400/' '" + dir + "/sw/000_lr=0.003_tau=2.0/config.yaml' && (" +
      env + "SLURM_ARRAY_TASK_ID=0 bash '" + script + "' > '" + dir + "/t0.txt' 2>&1 & pid=$!; " +
      "for i in $(seq 1 300); do grep -q 'epoch 1/400' '" + dir + "/t0.txt' && break; sleep 0.1; done; " +
      "kill -TERM $pid; wait $pid)");
  const std::string out = read_file(dir + "/t0.txt");
  INFO(out);
  CHECK(t0.exit_code == 0);
  CHECK(out.find("stop requested") != std::string::npos);
  CHECK(out.find("requeueing") != std::string::npos);
  CHECK(read_file(dir + "/scontrol.log") == "requeue 77_0\n");
  const Checkpoint c = load_checkpoint(dir + "/sw/000_lr=0.003_tau=2.0/last.h5");
  CHECK(c.ints.at("trainer/cursor")[0] < 400);
}
