// Precompiled header: the heavy, stable includes every translation unit needs.
#pragma once
#include <ATen/ATen.h>
#include <torch/version.h>
#include <napi.h>
