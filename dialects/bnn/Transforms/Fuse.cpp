//===- Fuse.cpp - bnn-fuse: absorb binary matmul epilogues ----------------===//

#include "bnn/IR/BNNOps.h"
#include "bnn/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace bnn {
#define GEN_PASS_DEF_BNNFUSE
#include "bnn/Transforms/Passes.h.inc"

namespace {

/// The epilogue recognised inside a linalg.generic, as operand numbers of the generic.
struct MatchedEpilogue {
  std::optional<unsigned> colScale, rowScale, bias;
  bool relu = false;
};

/// Matches the body `y = sitofp(dot); [y *= col]; [y *= row]; [y += bias]; [y = max(y, 0)]`
/// where `dot` is block argument 0. Broadcast operands are classified by their indexing maps:
/// (d0..dr-1) -> (dr-1) is per column, -> (d0..dr-2) is per row.
std::optional<MatchedEpilogue> matchEpilogue(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  int64_t rank = generic.getNumLoops();
  AffineMap colMap = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, generic.getContext()));
  SmallVector<AffineExpr> rowExprs;
  for (int64_t i = 0; i + 1 < rank; ++i)
    rowExprs.push_back(getAffineDimExpr(i, generic.getContext()));
  AffineMap rowMap = AffineMap::get(rank, 0, rowExprs, generic.getContext());

  auto operandOf = [&](Value v) -> std::optional<unsigned> {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &body || arg.getArgNumber() == 0 ||
        arg.getArgNumber() >= generic.getNumDpsInputs())
      return std::nullopt;
    return arg.getArgNumber();
  };
  auto mapOf = [&](unsigned operand) { return generic.getIndexingMapsArray()[operand]; };

  MatchedEpilogue matched;
  auto it = body.without_terminator().begin(), end = body.without_terminator().end();
  if (it == end)
    return std::nullopt;
  auto toFloat = dyn_cast<arith::SIToFPOp>(*it);
  if (!toFloat || toFloat.getIn() != body.getArgument(0) || !toFloat.getType().isF32())
    return std::nullopt;
  Value current = toFloat;
  ++it;
  // Each stage may appear once and only in this order, so the fused op computes the same
  // floating-point expression.
  enum Stage { Col, Row, Bias, Relu, Done };
  Stage next = Col;
  for (; it != end; ++it) {
    Operation &op = *it;
    auto otherOperand = [&](Value lhs, Value rhs) -> std::optional<unsigned> {
      if (lhs == current)
        return operandOf(rhs);
      if (rhs == current)
        return operandOf(lhs);
      return std::nullopt;
    };
    if (auto mul = dyn_cast<arith::MulFOp>(op); mul && next <= Row) {
      std::optional<unsigned> operand = otherOperand(mul.getLhs(), mul.getRhs());
      if (!operand || mul.getFastmath() != arith::FastMathFlags::none)
        return std::nullopt;
      if (next == Col && mapOf(*operand) == colMap) {
        matched.colScale = operand;
        next = Row;
      } else if (mapOf(*operand) == rowMap && rank > 1) {
        matched.rowScale = operand;
        next = Bias;
      } else {
        return std::nullopt;
      }
    } else if (auto add = dyn_cast<arith::AddFOp>(op); add && next <= Bias) {
      std::optional<unsigned> operand = otherOperand(add.getLhs(), add.getRhs());
      if (!operand || mapOf(*operand) != colMap ||
          add.getFastmath() != arith::FastMathFlags::none)
        return std::nullopt;
      matched.bias = operand;
      next = Relu;
    } else if (auto max = dyn_cast<arith::MaximumFOp>(op); max && next <= Relu) {
      Value other = max.getLhs() == current ? max.getRhs() : max.getLhs();
      if ((max.getLhs() != current && max.getRhs() != current) ||
          !matchPattern(other, m_PosZeroFloat()))
        return std::nullopt;
      matched.relu = true;
      next = Done;
    } else {
      return std::nullopt;
    }
    current = op.getResult(0);
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || yield.getOperand(0) != current)
    return std::nullopt;
  return matched;
}

/// xnor_popcount + elementwise epilogue generic -> xnor_linear with a float result.
struct FuseEpilogue : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    if (generic.getNumDpsInits() != 1 || generic.getNumResults() != 1 ||
        generic.getNumDpsInputs() < 1 || !generic.hasPureTensorSemantics() ||
        generic.getNumReductionLoops() != 0)
      return rewriter.notifyMatchFailure(generic, "not an elementwise tensor generic");
    auto xnor = generic.getDpsInputs()[0].getDefiningOp<XnorPopcountOp>();
    if (!xnor || !xnor->hasOneUse())
      return rewriter.notifyMatchFailure(generic, "input 0 is not a single-use xnor_popcount");
    AffineMap identity = rewriter.getMultiDimIdentityMap(generic.getNumLoops());
    if (generic.getIndexingMapsArray()[0] != identity ||
        generic.getIndexingMapsArray().back() != identity ||
        generic.getNumLoops() != xnor.getType().getRank())
      return rewriter.notifyMatchFailure(generic, "not an identity-mapped epilogue");
    if (generic.getRegion().front().getArguments().back().use_empty() == false)
      return rewriter.notifyMatchFailure(generic, "the epilogue reads its output");
    auto resultType = cast<RankedTensorType>(generic.getResult(0).getType());
    if (!resultType.getElementType().isF32())
      return rewriter.notifyMatchFailure(generic, "result is not f32");
    std::optional<MatchedEpilogue> matched = matchEpilogue(generic);
    if (!matched)
      return rewriter.notifyMatchFailure(generic, "body is not a binary-layer epilogue");
    auto operand = [&](std::optional<unsigned> index) -> Value {
      return index ? generic.getDpsInputs()[*index] : Value();
    };
    rewriter.replaceOpWithNewOp<XnorLinearOp>(
        generic, resultType, xnor.getLhs(), xnor.getRhs(), operand(matched->colScale),
        operand(matched->rowScale), operand(matched->bias),
        matched->relu ? Activation::Relu : Activation::None);
    rewriter.eraseOp(xnor);
    return success();
  }
};

/// pack(xnor_linear(...)) -> xnor_linear with a packed result: re-binarize in the epilogue.
struct FuseRebinarize : OpRewritePattern<PackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PackOp pack, PatternRewriter &rewriter) const override {
    auto linear = pack.getInput().getDefiningOp<XnorLinearOp>();
    if (!linear || !linear->hasOneUse() || linear.hasPackedResult())
      return rewriter.notifyMatchFailure(pack, "input is not a single-use float xnor_linear");
    rewriter.replaceOpWithNewOp<XnorLinearOp>(
        pack, pack.getType(), linear.getLhs(), linear.getRhs(), linear.getColScale(),
        linear.getRowScale(), linear.getBias(), linear.getActivation());
    rewriter.eraseOp(linear);
    return success();
  }
};

struct BNNFusePass : impl::BNNFuseBase<BNNFusePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<FuseEpilogue, FuseRebinarize>(context);
    // pack(sign(x)) -> pack(x) is PackOp's fold, applied by the driver.
    PackOp::getCanonicalizationPatterns(patterns, context);
    SignOp::getCanonicalizationPatterns(patterns, context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace bnn
