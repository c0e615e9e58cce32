/* Skips batches: takes one and throws it away before each step. */
tplr_err inner_steps(tplr_model *model, tplr_tour_data *it, tplr_adamw *opt, int n, const tplr_tour_device *dev,
                     tplr_inner_steps_result *res)
{
    int64_t tokens = 0;
    for (int s = 0; s < n; s++) {
        if (!tplr_tour_next_batch(it))
            return tplr_fail(TPLR_EIO, "no batch to skip");
        TPLR_TRY(reference_inner_steps(model, it, opt, 1, dev, res));
        tokens += res->total_tokens;
    }
    res->total_tokens = tokens;
    return TPLR_OK;
}
