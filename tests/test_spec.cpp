// Model specs: lenet5, explicit conv nets and MLPs built from one string, their keys, shapes, weights and
// printed forms, and the errors of malformed or misfitting specs.
#include <catch2/catch.hpp>

#include "hebb.h"
#include "module_names.h"

using namespace hebb;

namespace {

// The same modules (by printed form) with the same parameter names and values.
void check_same(const nn::Module& a, const nn::Module& b) {
    CHECK(printed(a) == printed(b));
    const auto pa = a.named_parameters(), pb = b.named_parameters();
    REQUIRE(pa.size() == pb.size());
    for (size_t i = 0; i < pa.size(); ++i) {
        INFO(pa[i].first);
        CHECK(pa[i].first == pb[i].first);
        CHECK(pa[i].second.value() == pb[i].second.value());
    }
}

// The error a spec's build throws (conv specs leave the activation and dropout at their defaults).
std::string error_of(const std::string& spec) {
    try {
        nn::build_model({spec});
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("lenet5 builds PyTorch's LeNet-5 with its keys, shapes and printed form", "[spec]") {
    Generator gen(3);
    const nn::Model model = nn::build_model({"lenet5", "relu", 0.0f}, gen);
    CHECK(model.input == ImageShape{1, 28, 28});
    CHECK(model.output == ImageShape{10, 1, 1});
    CHECK(names(*model.net) == std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight",
                                                        "7.bias", "9.weight", "9.bias", "11.weight", "11.bias"});
    CHECK(model.net->named_parameters()[0].second.shape() == "(6x25)");
    CHECK(model.net->named_parameters()[2].second.shape() == "(16x150)");
    CHECK(model.net->named_parameters()[4].second.shape() == "(120x400)");
    CHECK(static_cast<nn::ImageModule&>((*model.net)[3]).input_shape() == ImageShape{6, 14, 14});
    CHECK(static_cast<nn::ImageModule&>((*model.net)[6]).input_shape() == ImageShape{16, 5, 5});
    CHECK((*model.net)(rand(4, 784, gen)).shape() == "(4x10)");
    // print(nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
    //       nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
    //       nn.Linear(84, 10))) with PyTorch 1.13:
    CHECK(printed(*model.net) ==
          "Sequential(\n"
          "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
          "  (1): ReLU()\n"
          "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
          "  (3): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
          "  (4): ReLU()\n"
          "  (5): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
          "  (6): Flatten(start_dim=1, end_dim=-1)\n"
          "  (7): Linear(in_features=400, out_features=120, bias=True)\n"
          "  (8): ReLU()\n"
          "  (9): Linear(in_features=120, out_features=84, bias=True)\n"
          "  (10): ReLU()\n"
          "  (11): Linear(in_features=84, out_features=10, bias=True)\n"
          ")");

    Generator again(3);
    check_same(*model.net, *nn::build_model({nn::lenet5_spec, "relu", 0.0f}, again).net);
}

TEST_CASE("An MLP spec builds exactly nn::mlp's network and weights", "[spec]") {
    Generator a(11), b(11);
    const nn::Model model = nn::build_model({"784-256-128-10", "tanh", 0.25f}, a);
    check_same(*model.net, *nn::mlp(nn::MlpSpec{{784, 256, 128, 10}, "tanh", 0.25f}, b));
    CHECK(model.input == ImageShape{784, 1, 1});
    CHECK(model.output == ImageShape{10, 1, 1});
    CHECK(nn::is_mlp_spec("784-256-10"));
    CHECK(nn::is_mlp_spec("784--10"));  // malformed, but an MLP's: parse_arch reports it
    CHECK(nn::is_mlp_spec("784-x-10"));
    CHECK_FALSE(nn::is_mlp_spec("lenet5"));
    CHECK_FALSE(nn::is_mlp_spec("1x28x28:flatten-linear10"));
    CHECK_FALSE(nn::is_mlp_spec(""));
}

TEST_CASE("A 3x32x32 conv net with strides, padding, average pooling and dropout", "[spec]") {
    Generator gen(5);
    const nn::Model model =
        nn::build_model({"3x32x32:conv32k3p1-gelu-conv32k3s2p1-leaky_relu-avgpool2-maxpool3s1-flatten-dropout0.25-"
                        "linear10-sigmoid", "relu", 0.0f}, gen);
    CHECK(model.input == ImageShape{3, 32, 32});
    CHECK(model.output == ImageShape{10, 1, 1});
    auto& net = *model.net;
    REQUIRE(net.size() == 10);
    CHECK(printed(net[0]) == "Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
    CHECK(printed(net[2]) == "Conv2d(32, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");
    CHECK(printed(net[4]) == "AvgPool2d(kernel_size=2, stride=2, padding=0)");
    CHECK(printed(net[5]) == "MaxPool2d(kernel_size=3, stride=1, padding=0, dilation=1, ceil_mode=False)");
    CHECK(printed(net[7]) == "Dropout(p=0.25, inplace=False)");
    CHECK(printed(net[8]) == "Linear(in_features=1152, out_features=10, bias=True)");  // 32 x 6 x 6
    CHECK(static_cast<nn::ImageModule&>(net[4]).input_shape() == ImageShape{32, 16, 16});
    CHECK(static_cast<nn::ImageModule&>(net[5]).input_shape() == ImageShape{32, 8, 8});
    CHECK(net(rand(2, 3 * 32 * 32, gen)).shape() == "(2x10)");
}

TEST_CASE("Malformed, out-of-range and misfitting specs are refused, naming the token and shapes", "[spec]") {
    using Catch::Contains;
    CHECK(error_of("1x28x28:conv6k5-relu-maxpol2") ==
          "spec '1x28x28:conv6k5-relu-maxpol2': token 3 'maxpol2' is not a layer; use conv<OUT>k<K>[s<S>][p<P>], "
          "maxpool<K>[s<S>], avgpool<K>[s<S>], relu, leaky_relu, tanh, sigmoid, gelu, dropout<P>, flatten or "
          "linear<N>");
    CHECK(error_of("1x8x8:conv4k5-maxpool5-flatten-linear10") ==
          "spec '1x8x8:conv4k5-maxpool5-flatten-linear10': token 2 'maxpool5': layer 1 (MaxPool2d): MaxPool2d: "
          "kernel_size 5 with padding 0 does not fit 4x4x4 images");
    CHECK(error_of("1x28x28:conv6k5-maxpool2-linear10") ==
          "spec '1x28x28:conv6k5-maxpool2-linear10': token 3 'linear10': layer 2 (Linear): takes 864 features, "
          "but its input is 6x12x12 images (put a Flatten before it)");
    CHECK_THROWS_WITH(nn::build_model({"1x28x28:conv0k5"}),
                      Contains("token 1 'conv0k5': OUT channels 0 must be a whole number from 1 to 1048576"));
    CHECK_THROWS_WITH(nn::build_model({"1x28x28:conv99999999999999999999k3"}),
                      Contains("OUT channels 99999999999999999999 must"));
    CHECK_THROWS_WITH(nn::build_model({"1x28x28:conv4k3s0"}), Contains("stride 0 must be a whole number from 1 to 65536"));
    CHECK_THROWS_WITH(nn::build_model({"1x28x28:conv4k3-relu-"}), Contains("token 3 '' is not a layer"));
    CHECK_THROWS_WITH(nn::build_model({"1x28x28:flatten-dropout1"}),
                      Contains("token 2 'dropout1': dropout 1 must be in [0, 1)"));
    CHECK_THROWS_WITH(nn::build_model({"1x28x28:flatten-linear1.5"}),
                      Contains("token 2 'linear1.5' is not a layer"));
    CHECK_THROWS_WITH(nn::build_model({"1x0x28:flatten"}), Contains("spec '1x0x28:flatten': input height 0 must be"));
    CHECK_THROWS_WITH(nn::build_model({"28x28:flatten"}), Contains("input '28x28' is not C x H x W images"));
    CHECK_THROWS_WITH(nn::build_model({"lenet"}), Contains("spec 'lenet' is not a model; use an MLP such as"));
    CHECK_THROWS_WITH(nn::build_model({"784-2000000-10"}),
                      Contains("spec '784-2000000-10': size 2000000 must be at most 1048576"));
    CHECK_THROWS_WITH(nn::build_model({"784--10"}), Contains("arch '784--10'"));
    CHECK_THROWS_WITH(nn::build_model({"1x65536x65536:flatten-linear1048576"}),
                      Contains("token 2 'linear1048576': the weights of tokens 1 to 2 would need"));
    CHECK_THROWS_WITH(nn::build_model({"lenet5", "tanh"}),
                      Contains("leave activation 'tanh' and dropout 0 at relu and 0"));
}

TEST_CASE("with_dropout puts dropout after each dense activation, an MLP's or a conv net's", "[spec]") {
    CHECK(nn::with_dropout({"784-256-10", "tanh"}, 0.5f).arch == "784-256-10");
    CHECK(nn::with_dropout({"784-256-10", "tanh"}, 0.5f).dropout == 0.5f);
    CHECK(nn::with_dropout({"784-256-10", "tanh"}, 0.5f).activation == "tanh");
    // The convs' activations keep none; fc1 and fc2's get one, the output layer has no activation.
    CHECK(nn::with_dropout({"lenet5"}, 0.5f).arch ==
          "1x28x28:conv6k5p2-relu-maxpool2-conv16k5-relu-maxpool2-flatten-linear120-relu-dropout0.5-linear84-relu-"
          "dropout0.5-linear10");
    CHECK(nn::with_dropout({"3x8x8:conv4k3-gelu-flatten-linear5-tanh-linear2"}, 0.25f).arch ==
          "3x8x8:conv4k3-gelu-flatten-linear5-tanh-dropout0.25-linear2");
    // And the result builds: the dropout modules sit where the tokens say.
    const nn::Model m = nn::build_model(nn::with_dropout({"lenet5"}, 0.2f));
    CHECK((*m.net)[9].name() == "Dropout");
    CHECK((*m.net)[12].name() == "Dropout");

    const nn::ConvSpec parts = nn::split_conv_spec("1x4x4:conv2k3-relu");
    CHECK(parts.input == "1x4x4");
    CHECK(parts.layers == std::vector<std::string>{"conv2k3", "relu"});
    CHECK(parts.str() == "1x4x4:conv2k3-relu");
    CHECK(nn::split_conv_spec("lenet5").str() == nn::lenet5_spec);
}
